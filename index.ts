import * as pulumi from "@pulumi/pulumi";
import { loadConfig } from "./config";
import { deployStack } from "./stacks";

export = deployStack(loadConfig(), pulumi.getStack());
