import { log } from "../log.ts";

/**
 * Semantic memory search, when it is bound: Workers AI embeds a memory's text and a Vectorize
 * index keeps one vector per memory, in a namespace per user (a query never leaves its user's
 * namespace). Without `AI` and `MEMORY_INDEX` every function here does nothing and search is
 * full-text alone (the default, and all there is under `wrangler dev`: neither binding has a
 * local simulation). A failure here never fails a write or a search: full text carries on.
 */

const DEFAULT_MODEL = "@cf/baai/bge-small-en-v1.5";
/** Texts per embeddings call (Workers AI takes a batch). */
const EMBED_BATCH = 100;

interface SemanticBindings {
	ai: Ai;
	index: Vectorize;
	model: string;
}

function bindings(env: Env): SemanticBindings | undefined {
	if (!env.AI || !env.MEMORY_INDEX) return undefined;
	return { ai: env.AI, index: env.MEMORY_INDEX, model: env.SPARKY_EMBEDDING_MODEL?.trim() || DEFAULT_MODEL };
}

export function semanticSearchEnabled(env: Env): boolean {
	return bindings(env) !== undefined;
}

async function embed(b: SemanticBindings, texts: string[]): Promise<number[][]> {
	const vectors: number[][] = [];
	for (let i = 0; i < texts.length; i += EMBED_BATCH) {
		const out = (await b.ai.run(b.model as keyof AiModels, { text: texts.slice(i, i + EMBED_BATCH) } as never)) as {
			data?: unknown;
		};
		const data = out.data;
		if (!Array.isArray(data) || data.some((v) => !Array.isArray(v)))
			throw new Error(`the embeddings model ${b.model} answered without vectors`);
		vectors.push(...(data as number[][]));
	}
	return vectors;
}

/** Keeps the vectors of these memories (new or changed text). */
export async function indexMemories(
	env: Env,
	userId: string,
	memories: readonly { id: string; text: string }[],
): Promise<void> {
	const b = bindings(env);
	if (!b || memories.length === 0) return;
	try {
		const vectors = await embed(
			b,
			memories.map((m) => m.text),
		);
		await b.index.upsert(memories.map((m, i) => ({ id: m.id, values: vectors[i] as number[], namespace: userId })));
	} catch (error) {
		log.warn("memory vectors not written; full-text search still finds these memories", {
			userId,
			count: memories.length,
			error,
		});
	}
}

/** Drops the vectors of forgotten memories. */
export async function unindexMemories(env: Env, userId: string, ids: readonly string[]): Promise<void> {
	const b = bindings(env);
	if (!b || ids.length === 0) return;
	try {
		await b.index.deleteByIds([...ids]);
	} catch (error) {
		log.warn("memory vectors not deleted; a search skips ids it can't find", { userId, error });
	}
}

/** The user's memory ids most similar in meaning to `text`, best first; empty when not bound or on failure. */
export async function semanticMatches(env: Env, userId: string, text: string, topK: number): Promise<string[]> {
	const b = bindings(env);
	if (!b || !text.trim()) return [];
	try {
		const [vector] = await embed(b, [text]);
		if (!vector) return [];
		const found = await b.index.query(vector, { topK: Math.min(topK, 50), namespace: userId });
		return found.matches.map((m) => m.id);
	} catch (error) {
		log.warn("semantic memory search failed; full-text results only", { userId, error });
		return [];
	}
}

/**
 * Reciprocal rank fusion of two rankings (ids best first): each id scores the sum of
 * 1 / (k + rank) over the lists it is in. Robust to the lists' scores being on different
 * scales (bm25 against cosine), which is why it is used instead of mixing scores.
 */
export function fuseRankings(lists: readonly (readonly string[])[], k = 60): string[] {
	const scores = new Map<string, number>();
	for (const list of lists)
		list.forEach((id, rank) => {
			scores.set(id, (scores.get(id) ?? 0) + 1 / (k + rank + 1));
		});
	return [...scores.entries()].sort((a, b) => b[1] - a[1]).map(([id]) => id);
}
