/**
 * Messages in English, French, Spanish, German and Italian (i18next). English ships in the
 * first load; the other languages load when chosen. The choice is remembered in
 * localStorage (a preference, nothing secret).
 */
import i18n from "i18next";
import { initReactI18next } from "react-i18next";
import en from "../locales/en";

export const LANGUAGES = [
	{ code: "en", name: "English" },
	{ code: "fr", name: "Français" },
	{ code: "es", name: "Español" },
	{ code: "de", name: "Deutsch" },
	{ code: "it", name: "Italiano" },
] as const;
export type Language = (typeof LANGUAGES)[number]["code"];

const STORAGE_KEY = "clubhouse.language";
const loaders: Record<Exclude<Language, "en">, () => Promise<{ default: unknown }>> = {
	fr: () => import("../locales/fr"),
	es: () => import("../locales/es"),
	de: () => import("../locales/de"),
	it: () => import("../locales/it"),
};

function initialLanguage(): Language {
	const saved = safeStorage()?.getItem(STORAGE_KEY);
	const candidates = [saved, ...(navigator.languages ?? [navigator.language])].filter(Boolean) as string[];
	for (const c of candidates) {
		const code = c.slice(0, 2).toLowerCase();
		if (LANGUAGES.some(l => l.code === code)) return code as Language;
	}
	return "en";
}

function safeStorage(): Storage | null {
	try {
		return window.localStorage;
	} catch {
		return null;
	}
}

export async function setLanguage(code: Language): Promise<void> {
	if (code !== "en" && !i18n.hasResourceBundle(code, "translation")) {
		const mod = await loaders[code]();
		i18n.addResourceBundle(code, "translation", mod.default, true, true);
	}
	await i18n.changeLanguage(code);
	document.documentElement.lang = code;
	safeStorage()?.setItem(STORAGE_KEY, code);
}

export async function initI18n(): Promise<void> {
	await i18n.use(initReactI18next).init({
		resources: { en: { translation: en } },
		lng: "en",
		fallbackLng: "en",
		interpolation: { escapeValue: false },
		returnNull: false,
	});
	const lang = initialLanguage();
	if (lang !== "en") await setLanguage(lang);
	else document.documentElement.lang = "en";
}

export default i18n;
