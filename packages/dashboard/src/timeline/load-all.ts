/**
 * Every page of every section of a timeline, for the visual timeline zoomed
 * in (it draws the range it shows, not a page of it; zoomed out it draws the
 * server's summary instead). Sections still to be read are asked for
 * together, up to 10,000 rows each; each request is recorded by the server
 * with its purpose like any other read of the timeline.
 */
import {
  TIMELINE_SECTIONS,
  type Timeline,
  type TimelineRequest,
  type TimelineSection,
} from '@seatwatch/shared/dashboard-api';

/** The server's largest page: 60 days of a busy seat (38,400 spans) is four requests. */
export const PAGE_LIMIT = 10_000;
/** A bound on requests for one timeline. */
export const MAX_REQUESTS = 50;

export async function loadWholeTimeline(
  request: TimelineRequest,
  fetchPage: (request: TimelineRequest) => Promise<Timeline>,
  onProgress?: (partial: Timeline) => void,
): Promise<{ timeline: Timeline; complete: boolean }> {
  const first = await fetchPage({ ...request, limit: PAGE_LIMIT, cursors: undefined, sections: undefined });
  let whole: Timeline = first;
  let requests = 1;
  for (;;) {
    const open = TIMELINE_SECTIONS.filter((section) => whole[section]?.next);
    if (open.length === 0) return { timeline: whole, complete: true };
    if (requests >= MAX_REQUESTS) return { timeline: whole, complete: false };
    onProgress?.(whole);
    const cursors: Partial<Record<TimelineSection, string>> = {};
    for (const section of open) cursors[section] = whole[section]!.next!;
    const page = await fetchPage({ ...request, limit: PAGE_LIMIT, sections: open, cursors });
    requests += 1;
    for (const section of open) {
      whole = {
        ...whole,
        [section]: {
          items: [...(whole[section]?.items ?? []), ...(page[section]?.items ?? [])],
          next: page[section]?.next ?? null,
        },
      };
    }
  }
}
