import type { Stack, UpdateSummary } from "@pulumi/pulumi/automation";

/** Entries per `pulumi stack history` page. */
const HISTORY_PAGE = 50;
/** How far back `undo` and `history` read; past it, set an image explicitly with `release`. */
export const MAX_HISTORY_PAGES = 20;

/**
 * The stack's update history, newest first, read page by page until `enough` says so (or the
 * history ends, or {@link MAX_HISTORY_PAGES} are read): most answers are in the first page.
 */
export async function readHistory(stack: Stack, enough: (history: readonly UpdateSummary[]) => boolean): Promise<UpdateSummary[]> {
    const history: UpdateSummary[] = [];
    for (let page = 1; page <= MAX_HISTORY_PAGES; page++) {
        const entries = await stack.history(HISTORY_PAGE, page, false);
        history.push(...entries);
        if (entries.length < HISTORY_PAGE || enough(history)) {
            break;
        }
    }
    return history;
}
