/** The webhooks service's own refusals (the shared ones are in lib/errors.ts). */
import { Errors } from "moleculer";

/** 422: the URL is not one we deliver to (scheme, or an address it resolves to). */
export class UrlNotAllowedError extends Errors.MoleculerClientError {
	constructor(reason: string, field = "url") {
		super(`The webhook URL is not allowed: ${reason}`, 422, "URL_NOT_ALLOWED", [{ field, type: "URL_NOT_ALLOWED", message: reason }]);
		this.name = "UrlNotAllowedError";
	}
}
