import { PolicyPack } from "@pulumi/policy";
import { packArgs } from "./policies";

/**
 * The checks a reviewer would otherwise do by hand, run with every preview and update:
 *   pulumi preview --policy-pack policy
 * Mandatory: a violation fails the preview or update before anything changes.
 */
new PolicyPack("rollout-stacks", packArgs);
