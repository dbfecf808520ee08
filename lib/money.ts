/** Currencies: ISO 4217 codes as the running Node knows them (Intl), one list for every service. */
import { invalid } from "./errors";

const CURRENCIES: ReadonlySet<string> = new Set(Intl.supportedValuesOf("currency"));

export const isCurrency = (code: string): boolean => CURRENCIES.has(code);

/** ISO 4217, trimmed and upper-cased; a 422 on the given field otherwise. */
export function currencyOf(value: string, field = "currency"): string {
	const code = value.trim().toUpperCase();
	if (!CURRENCIES.has(code)) throw invalid({ field, type: "currency", message: `The '${field}' is not an ISO 4217 currency code.` });
	return code;
}
