/**
 * A called workflow gets no more than its caller gives: "GITHUB_TOKEN permissions can only be the
 * same or more restrictive in nested workflows". GitHub refuses the whole run before any step
 * when a called workflow's top-level `permissions` ("The workflow is requesting …") or one of
 * its jobs ("The nested job 'up' is requesting 'id-token: write', but is only allowed
 * 'id-token: none'") asks for more than the calling job's grant.
 */
import { exceeding, grantOf } from "./grants.js";
import { jobRuns } from "./runs.js";
import type { Workflow } from "./workflows.js";

const requesting = (where: string, [scope, asked, allowed]: [string, string, string]) =>
  `${where} is requesting '${scope}: ${asked}', but is only allowed '${scope}: ${allowed}'`;

/**
 * Every called workflow and nested job that asks for more than its caller grants, from each
 * event-triggered workflow down; and the calls GitHub refuses to follow (cycles, too deep).
 */
export function permissionViolations(all: Map<string, Workflow>): string[] {
  const { jobs, calls, problems } = jobRuns(all);
  const out: string[] = [];
  for (const call of calls) {
    const top = call.callee.doc.permissions;
    if (top === undefined) continue;
    for (const over of exceeding(grantOf(top), call.ceiling))
      out.push(requesting(call.where, over));
  }
  for (const run of jobs) {
    if (!run.ceiling) continue;
    for (const over of exceeding(run.grant, run.ceiling)) out.push(requesting(run.where, over));
  }
  return [...new Set([...out, ...problems])];
}
