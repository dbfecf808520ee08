/** API errors in plain words, in the user's language: by the error's type, else by status. */
import { useTranslation } from "react-i18next";
import type { TFunction } from "i18next";
import type { FieldValues, Path, UseFormSetError } from "react-hook-form";
import { ApiError } from "./api";

export function errorText(t: TFunction, err: unknown): string {
	if (err instanceof ApiError) {
		if (err.type && t(`errors.${err.type}`, { defaultValue: "" })) return t(`errors.${err.type}`, errorValues(err));
		if (err.status === 0) return t("errors.NETWORK");
		const byStatus = t(`errors.status${err.status}`, { defaultValue: "" });
		return byStatus || t("errors.generic");
	}
	return t("errors.generic");
}

function errorValues(err: ApiError): Record<string, unknown> {
	const d = (err.data ?? {}) as Record<string, unknown>;
	return { fields: Array.isArray(d.fields) ? d.fields.join(", ") : "" };
}

export function useErrorText(): (err: unknown) => string {
	const { t } = useTranslation();
	return err => errorText(t, err);
}

/** A 422's field problems, in words, on the form's fields. Answers whether any field took one. */
export function applyFieldErrors<T extends FieldValues>(t: TFunction, err: unknown, setError: UseFormSetError<T>, fields: readonly string[]): boolean {
	if (!(err instanceof ApiError)) return false;
	let any = false;
	for (const p of err.fields) {
		const field = p.field.split(".")[0];
		if (!fields.includes(field)) continue;
		setError(field as Path<T>, { type: "server", message: t(`validation.${p.type}`, { defaultValue: t("validation.invalid") }) });
		any = true;
	}
	return any;
}
