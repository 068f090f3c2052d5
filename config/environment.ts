import { z } from "zod";
import { dnsLabel } from "./primitives";

/** `environment`: makes the stack a long-lived environment. Filled in by the progressive-delivery work. */
export const environmentSchema = z.strictObject({
    name: dnsLabel,
});
