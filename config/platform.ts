import { z } from "zod";

/** `platform`: the cluster add-ons. Filled in by the platform work. */
export const platformSchema = z.strictObject({});
