import { GitHubClient, GitHubRepository } from "./client";

/** Every open pull request's number and label names, so the reaper can spare the PRs labelled to be kept. */
export async function openPullRequestLabels(client: GitHubClient, repository: GitHubRepository): Promise<Map<number, string[]>> {
    const pulls = await client.paginate(client.rest.pulls.list,
        { owner: repository.owner, repo: repository.repo, state: "open", per_page: 100 });
    return new Map(pulls.map((pull) => [pull.number, pull.labels.map((label) => label.name)]));
}
