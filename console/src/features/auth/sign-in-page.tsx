/** Sign in as a staff member (e-mail and password) or with an API key (sent once, never stored). */
import { useState } from "react";
import { useForm } from "react-hook-form";
import { useTranslation } from "react-i18next";
import { ApiError } from "../../lib/api";
import { useSignIn } from "../../lib/session";
import { Button, ErrorAlert, FormText, SelectInput } from "../../components/ui";
import { LanguageSelect } from "../../components/language-select";

interface PasswordForm {
	email: string;
	password: string;
	club: string;
}

export function SignInPage() {
	const { t } = useTranslation();
	const withPassword = useSignIn();
	const withKey = useSignIn();
	const [clubs, setClubs] = useState<Array<{ id: string; name: string }> | null>(null);
	const pw = useForm<PasswordForm>({ defaultValues: { email: "", password: "", club: "" } });
	const key = useForm<{ apiKey: string }>({ defaultValues: { apiKey: "" } });

	const submitPassword = pw.handleSubmit(values => {
		withPassword.mutate(
			{ email: values.email.trim(), password: values.password, ...(clubs && values.club ? { club: values.club } : {}) },
			{
				onError: err => {
					if (err instanceof ApiError && err.type === "CLUB_REQUIRED") {
						const list = ((err.data as any)?.clubs ?? []) as Array<{ id: string; name: string }>;
						setClubs(list);
						pw.setValue("club", list[0]?.id ?? "");
					}
				},
			},
		);
	});
	const submitKey = key.handleSubmit(values => {
		withKey.mutate({ apiKey: values.apiKey.trim() }, { onSettled: () => key.reset({ apiKey: "" }) });
	});
	const pwError = withPassword.error instanceof ApiError && withPassword.error.type === "CLUB_REQUIRED" ? null : withPassword.error;

	return (
		<div className="signin-page">
			<header className="signin-top">
				<span className="brand">Clubhouse</span>
				<LanguageSelect />
			</header>
			<main className="signin-main">
				<h1>{t("signIn.title")}</h1>
				<p className="muted">{t("signIn.intro")}</p>
				<form className="card form" onSubmit={submitPassword} noValidate>
					<h2>{t("signIn.staffTitle")}</h2>
					<FormText control={pw.control} name="email" rules={{ required: true }} label={t("signIn.email")} type="email" autoComplete="username" isRequired error={pw.formState.errors.email && t("validation.required")} />
					<FormText control={pw.control} name="password" rules={{ required: true }} label={t("signIn.password")} type="password" autoComplete="current-password" isRequired error={pw.formState.errors.password && t("validation.required")} />
					{clubs && (
						<SelectInput label={t("signIn.club")} description={t("signIn.clubHint")} {...pw.register("club")}>
							{clubs.map(c => (
								<option key={c.id} value={c.id}>
									{c.name}
								</option>
							))}
						</SelectInput>
					)}
					<ErrorAlert error={pwError ?? undefined} />
					<Button type="submit" variant="primary" isDisabled={withPassword.isPending}>
						{t("signIn.submit")}
					</Button>
				</form>
				<form className="card form" onSubmit={submitKey} noValidate>
					<h2>{t("signIn.keyTitle")}</h2>
					<FormText control={key.control} name="apiKey" rules={{ required: true }} label={t("signIn.apiKey")} type="password" autoComplete="off" isRequired description={t("signIn.keyHint")} error={key.formState.errors.apiKey && t("validation.required")} />
					<ErrorAlert error={withKey.error ?? undefined} />
					<Button type="submit" isDisabled={withKey.isPending}>
						{t("signIn.submitKey")}
					</Button>
				</form>
			</main>
		</div>
	);
}
