/** The console's routes; each screen's code loads when it is first visited. */
import { createRootRoute, createRoute, createRouter, lazyRouteComponent, redirect } from "@tanstack/react-router";
import { Root } from "./root";

export interface ClientSearch {
	q?: string;
	groupId?: string;
	tag?: string;
	categoryId?: string;
	verified?: "true" | "false";
}

const text = (v: unknown) => (typeof v === "string" && v.length > 0 ? v : undefined);

const rootRoute = createRootRoute({ component: Root });

const indexRoute = createRoute({
	getParentRoute: () => rootRoute,
	path: "/",
	beforeLoad: () => {
		throw redirect({ to: "/clients" });
	},
});

const clientsRoute = createRoute({
	getParentRoute: () => rootRoute,
	path: "/clients",
	validateSearch: (s: Record<string, unknown>): ClientSearch => ({
		q: text(s.q),
		groupId: text(s.groupId),
		tag: text(s.tag),
		categoryId: text(s.categoryId),
		verified: s.verified === "true" || s.verified === true ? "true" : s.verified === "false" || s.verified === false ? "false" : undefined,
	}),
	component: lazyRouteComponent(() => import("../features/clients/clients-page"), "ClientsPage"),
});

const newClientRoute = createRoute({
	getParentRoute: () => rootRoute,
	path: "/clients/new",
	component: lazyRouteComponent(() => import("../features/clients/client-form-page"), "NewClientPage"),
});

const clientRoute = createRoute({
	getParentRoute: () => rootRoute,
	path: "/clients/$clientId",
	component: lazyRouteComponent(() => import("../features/clients/client-panel"), "ClientPanelPage"),
});

const editClientRoute = createRoute({
	getParentRoute: () => rootRoute,
	path: "/clients/$clientId/edit",
	component: lazyRouteComponent(() => import("../features/clients/client-form-page"), "EditClientPage"),
});

const groupsRoute = createRoute({
	getParentRoute: () => rootRoute,
	path: "/groups",
	component: lazyRouteComponent(() => import("../features/groups/groups-page"), "GroupsPage"),
});

const categoriesRoute = createRoute({
	getParentRoute: () => rootRoute,
	path: "/categories",
	component: lazyRouteComponent(() => import("../features/categories/categories-page"), "CategoriesPage"),
});

const importsRoute = createRoute({
	getParentRoute: () => rootRoute,
	path: "/imports",
	component: lazyRouteComponent(() => import("../features/imports/imports-page"), "ImportsPage"),
});

const settingsRoute = createRoute({
	getParentRoute: () => rootRoute,
	path: "/settings",
	component: lazyRouteComponent(() => import("../features/settings/settings-page"), "SettingsPage"),
});

const routeTree = rootRoute.addChildren([indexRoute, clientsRoute, newClientRoute, clientRoute, editClientRoute, groupsRoute, categoriesRoute, importsRoute, settingsRoute]);

export const router = createRouter({ routeTree, defaultPreload: "intent", scrollRestoration: true });

declare module "@tanstack/react-router" {
	interface Register {
		router: typeof router;
	}
}
