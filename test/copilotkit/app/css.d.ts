// The app imports CopilotKit's stylesheet for Vite to bundle; TypeScript only needs to know a
// `.css` import is a module (the one `vite/client` would declare, without its other globals).
declare module "*.css";
