// A small CopilotKit React app (test only, never shipped) with Sparky as its agent, straight
// from the browser: no CopilotKit runtime, CopilotKit's v2 API (`@copilotkit/react-core/v2`)
// given an AG-UI `HttpAgent` for `POST /api/ag-ui`. The page is opened as
// `…/index.html#token=<Sparky token>&thread=<thread id>` (the test's; a real app gets its token
// from its own sign-in). It has CopilotKit's chat, one frontend tool (`show_color`, rendered by
// CopilotKit as a coloured box) and CopilotKit's interrupt UI for Sparky's tool approvals.
import "@copilotkit/react-core/v2/styles.css";
import {
	CopilotChat,
	CopilotKitProvider,
	HttpAgent,
	type RunAgentInput,
	useFrontendTool,
	useInterrupt,
} from "@copilotkit/react-core/v2";
import { createRoot } from "react-dom/client";
import { z } from "zod";

const params = new URLSearchParams(location.hash.slice(1));
const token = params.get("token") ?? "";
const threadId = params.get("thread") ?? crypto.randomUUID();

/**
 * Sparky's AG-UI endpoint as a CopilotKit agent. `connect` is what CopilotKit calls when a chat
 * opens a thread (on every page load): `@ag-ui/client`'s HttpAgent doesn't implement it, so this
 * sends Sparky a run with no messages, which Sparky answers with the thread's history
 * (`MESSAGES_SNAPSHOT`) and, when the thread waits for a decision, its open interrupts.
 */
class SparkyAgent extends HttpAgent {
	protected override connect(input: RunAgentInput) {
		return this.run({ ...input, messages: [] });
	}
}

const sparky = new SparkyAgent({ url: "/api/ag-ui", headers: { Authorization: `Bearer ${token}` } });

/** Sparky's tool approvals (`RUN_FINISHED` with an `interrupt` outcome), answered in the chat. */
interface ToolApproval {
	id: string;
	reason?: string;
	message?: string;
	toolCallId?: string;
}

function Tools() {
	useFrontendTool({
		name: "show_color",
		description: "Show the user a colour as a swatch.",
		parameters: z.object({ color: z.string().describe("a CSS colour") }),
		handler: async ({ color }) => `showed a ${color} swatch`,
		render: ({ args, status }) => (
			<div
				data-testid="color-swatch"
				data-status={status}
				style={{ background: args.color, width: 64, height: 32, border: "1px solid #333" }}
			>
				{args.color}
			</div>
		),
	});
	useInterrupt({
		render: ({ interrupt, resolve, cancel }) => {
			const approval = interrupt as ToolApproval | null;
			return (
				<div data-testid="approval" data-interrupt-id={approval?.id}>
					<p>{approval?.message ?? "The agent asks to go on."}</p>
					<button type="button" onClick={() => void resolve({ approved: true })}>
						Approve
					</button>
					<button type="button" onClick={() => void cancel()}>
						Deny
					</button>
				</div>
			);
		},
	});
	return null;
}

function App() {
	return (
		<CopilotKitProvider
			agents__unsafe_dev_only={{ sparky }}
			agentId="sparky"
			// forwardedProps of every run: Sparky asks before writing files (docs/ag-ui.md).
			properties={{ sparky: { approve: ["write_file"] } }}
			enableInspector={false}
		>
			<Tools />
			<div style={{ height: "100vh" }}>
				<CopilotChat agentId="sparky" threadId={threadId} />
			</div>
		</CopilotKitProvider>
	);
}

const root = document.getElementById("root");
if (root) createRoot(root).render(<App />);
