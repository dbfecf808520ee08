import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { RouterProvider } from "@tanstack/react-router";
import { I18nProvider } from "react-aria-components";
import { useTranslation } from "react-i18next";
import "./lib/api";
import { initI18n } from "./lib/i18n";
import { localeOf } from "./lib/format";
import { ApiError } from "./lib/api";
import { router } from "./app/router";
import "./styles.css";

const queryClient = new QueryClient({
	queryCache: new QueryCache(),
	defaultOptions: {
		queries: {
			staleTime: 10_000,
			refetchOnWindowFocus: false,
			retry: (count, err) => !(err instanceof ApiError && err.status >= 400 && err.status < 500) && count < 2,
		},
	},
});

function App() {
	const { i18n } = useTranslation();
	return (
		<I18nProvider locale={localeOf(i18n.language)}>
			<QueryClientProvider client={queryClient}>
				<RouterProvider router={router} />
			</QueryClientProvider>
		</I18nProvider>
	);
}

void initI18n().then(() => {
	createRoot(document.getElementById("root")!).render(
		<StrictMode>
			<App />
		</StrictMode>,
	);
});
