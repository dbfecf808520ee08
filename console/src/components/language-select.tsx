/** The `Language` combobox of every page (the platform's <select>: role combobox). */
import { useTranslation } from "react-i18next";
import { LANGUAGES, setLanguage, type Language } from "../lib/i18n";

export function LanguageSelect() {
	const { t, i18n } = useTranslation();
	// Named "Language" in every language too, so that anyone can find the way back.
	const name = i18n.language === "en" ? "Language" : `${t("common.language")} (Language)`;
	return (
		<label className="language">
			<span>{t("common.language")}</span>
			<select aria-label={name} value={i18n.language} onChange={e => void setLanguage(e.target.value as Language)}>
				{LANGUAGES.map(l => (
					<option key={l.code} value={l.code} lang={l.code}>
						{l.name}
					</option>
				))}
			</select>
		</label>
	);
}
