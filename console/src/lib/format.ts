/** Dates, money and numbers through Intl, in the user's language and the club's currency and time zone. */
import { useTranslation } from "react-i18next";
import { useClub } from "./session";

const LOCALES: Record<string, string> = { en: "en-GB", fr: "fr-FR", es: "es-ES", de: "de-DE", it: "it-IT" };

export function localeOf(language: string): string {
	return LOCALES[language] ?? language;
}

/** Minor units per major unit of a currency (EUR 100, JPY 1). */
export function minorDigits(currency: string): number {
	return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

export function toMinor(major: string, currency: string): number | null {
	const text = major.trim().replace(/\s/g, "").replace(",", ".");
	if (!/^\d+(\.\d+)?$/.test(text)) return null;
	const digits = minorDigits(currency);
	const [int, frac = ""] = text.split(".");
	if (frac.length > digits) return null;
	return Number(int) * 10 ** digits + Number((frac + "0".repeat(digits)).slice(0, digits) || 0);
}

export function useFormat() {
	const { i18n } = useTranslation();
	const club = useClub();
	const locale = localeOf(i18n.language);
	const timeZone = club?.timezone || undefined;
	return {
		locale,
		money(minor: number, currency = club?.currency ?? "EUR") {
			return new Intl.NumberFormat(locale, { style: "currency", currency }).format(minor / 10 ** minorDigits(currency));
		},
		number(n: number) {
			return new Intl.NumberFormat(locale).format(n);
		},
		percent(value: number) {
			return new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 2 }).format(value / 100);
		},
		dateTime(iso: string | null | undefined) {
			return iso ? new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short", timeZone }).format(new Date(iso)) : "";
		},
		/** A calendar date (YYYY-MM-DD): no time zone shift. */
		date(ymd: string | null | undefined) {
			if (!ymd) return "";
			const [y, m, d] = ymd.split("-").map(Number);
			return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeZone: "UTC" }).format(Date.UTC(y, m - 1, d));
		},
		country(code: string) {
			try {
				return new Intl.DisplayNames([locale], { type: "region" }).of(code) ?? code;
			} catch {
				return code;
			}
		},
	};
}

/** "YYYY-MM-DDTHH:mm" on the club's wall clock (an <input type=datetime-local>) -> the UTC instant. */
export function zonedWallTimeToUtc(wall: string, timeZone: string): Date {
	const [d, time = "00:00"] = wall.split("T");
	const [y, m, day] = d.split("-").map(Number);
	const [hh, mm] = time.split(":").map(Number);
	const asUtc = Date.UTC(y, m - 1, day, hh, mm);
	// The zone's offset at that moment, read back through Intl; twice, for a DST change in between.
	const offsetAt = (t: number) => {
		const parts = Object.fromEntries(new Intl.DateTimeFormat("en-US", { timeZone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" }).formatToParts(new Date(t)).map(p => [p.type, p.value]));
		return Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute)) - t;
	};
	let t = asUtc - offsetAt(asUtc);
	t = asUtc - offsetAt(t);
	return new Date(t);
}
