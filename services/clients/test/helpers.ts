/** Test helpers of the clients specs (not a spec: mocha only loads *.spec.ts). */
import { clientBody } from "../../../test/support/factories";

/** The clients specs' body: test/support/factories.ts's, with one name and one phone for every client. */
export const person = (over: Record<string, unknown> = {}) => clientBody({ fullName: "Ana García", phone: "612 345 678", gender: "F", ...over });
