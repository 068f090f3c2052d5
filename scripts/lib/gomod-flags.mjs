// Prints the `go mod edit` flags that let a throwaway wrapper module build
// packages of a dependency exactly as that dependency's own go.mod would:
//   - module replaces (`a => b vX`) are copied: Go honours replaces only in the
//     main module, so without them a wrapper silently builds something else;
//   - relative replaces (`a => ../a`) point into the dependency's repository and
//     are dropped, except Kubernetes' `k8s.io/x => ./staging/src/k8s.io/x`, which
//     become `k8s.io/x => k8s.io/x@<--staging-version>` (the published copies);
//   - `godebug` lines are copied, so runtime defaults match an upstream build.
// Usage: go mod edit -json <go.mod> | node gomod-flags.mjs [--staging-version v0.34.5]
import { readFileSync } from "node:fs";

const args = process.argv.slice(2);
const stagingIndex = args.indexOf("--staging-version");
const stagingVersion = stagingIndex >= 0 ? args[stagingIndex + 1] : undefined;
const mod = JSON.parse(readFileSync(0, "utf8"));

const flags = [];
for (const { Old, New } of mod.Replace ?? []) {
  const old = Old.Version ? `${Old.Path}@${Old.Version}` : Old.Path;
  if (New.Version) {
    flags.push(`-replace=${old}=${New.Path}@${New.Version}`);
  } else if (stagingVersion && New.Path === `./staging/src/${Old.Path}`) {
    flags.push(`-replace=${old}=${Old.Path}@${stagingVersion}`);
  }
}
for (const { Key, Value } of mod.GoDebug ?? mod.Godebug ?? []) {
  flags.push(`-godebug=${Key}=${Value}`);
}
process.stdout.write(flags.join("\n") + (flags.length ? "\n" : ""));
