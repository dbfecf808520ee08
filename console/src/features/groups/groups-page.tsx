import { useTranslation } from "react-i18next";
import { PageHeader } from "../../components/ui";

export function GroupsPage() {
	const { t } = useTranslation();
	return <PageHeader title={t("nav.groups")} />;
}
