/** Every page: the sign-in form until someone is signed in, then the shell around the screen. */
import { Link, Outlet } from "@tanstack/react-router";
import { useEffect } from "react";
import { useTranslation } from "react-i18next";
import { useQueryClient } from "@tanstack/react-query";
import { onUnauthorized } from "../lib/api";
import { useClub, useSession, useSignOut } from "../lib/session";
import { ErrorAlert, Loading, Button } from "../components/ui";
import { LanguageSelect } from "../components/language-select";
import { SignInPage } from "../features/auth/sign-in-page";

export function Root() {
	const session = useSession();
	const qc = useQueryClient();
	useEffect(() => onUnauthorized(() => qc.setQueryData(["session"], null)), [qc]);
	if (session.isPending) return <Loading />;
	if (session.isError) {
		return (
			<main className="center">
				<ErrorAlert error={session.error} />
			</main>
		);
	}
	if (!session.data) return <SignInPage />;
	return <Shell />;
}

const NAV = [
	{ to: "/clients", key: "nav.clients" },
	{ to: "/groups", key: "nav.groups" },
	{ to: "/categories", key: "nav.categories" },
	{ to: "/imports", key: "nav.imports" },
	{ to: "/settings", key: "nav.settings" },
] as const;

function Shell() {
	const { t } = useTranslation();
	const session = useSession().data!;
	const club = useClub();
	const signOut = useSignOut();
	return (
		<div className="shell">
			<a className="skip-link" href="#main">
				{t("nav.skip")}
			</a>
			<header className="topbar">
				<span className="brand">Clubhouse</span>
				<span className="club-name">{club?.name ?? session.club?.name}</span>
				<div className="topbar-end">
					<LanguageSelect />
					<span className="who">
						{session.actor?.name} · {t(`roles.${session.role}`)}
					</span>
					<Button variant="quiet" onPress={() => signOut.mutate()}>
						{t("nav.signOut")}
					</Button>
				</div>
			</header>
			<nav className="sidebar" aria-label={t("nav.label")}>
				<ul>
					{NAV.map(n => (
						<li key={n.to}>
							<Link to={n.to} activeProps={{ className: "active", "aria-current": "page" }}>
								{t(n.key)}
							</Link>
						</li>
					))}
				</ul>
			</nav>
			<main id="main" className="content" tabIndex={-1}>
				<Outlet />
			</main>
		</div>
	);
}
