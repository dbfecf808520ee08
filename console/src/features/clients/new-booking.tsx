/** Staff book for a client: one booking or a recurring series (every day or week, N times). */
import { useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { ApiError, idempotencyKey } from "../../lib/api";
import { zonedWallTimeToUtc } from "../../lib/format";
import { useClub } from "../../lib/session";
import type { Client } from "../../lib/types";
import { DialogActions, DialogButton, ErrorAlert, SelectInput, TextInput } from "../../components/ui";
import { useReserve } from "./api";

export function NewBooking({ client }: { client: Client }) {
	const { t } = useTranslation();
	return (
		<DialogButton label={t("booking.new")} title={t("booking.title", { name: client.fullName })}>
			{close => <BookingForm client={client} close={close} />}
		</DialogButton>
	);
}

function BookingForm({ client, close }: { client: Client; close: () => void }) {
	const { t } = useTranslation();
	const club = useClub();
	const reserve = useReserve(client.id);
	const key = useRef(idempotencyKey());
	const [productId, setProductId] = useState("");
	const [startsAt, setStartsAt] = useState("");
	const [minutes, setMinutes] = useState("60");
	const [repeat, setRepeat] = useState<"none" | "daily" | "weekly">("none");
	const [count, setCount] = useState("10");
	const [problems, setProblems] = useState<Record<string, string>>({});
	const reasons = reserve.error instanceof ApiError && reserve.error.type === "BOOKING_REJECTED" ? (((reserve.error.data as any)?.reasons ?? []) as Array<{ code: string; message: string }>) : [];
	return (
		<form
			className="form"
			noValidate
			onSubmit={e => {
				e.preventDefault();
				const p: Record<string, string> = {};
				if (!productId.trim()) p.productId = t("validation.required");
				if (!startsAt) p.startsAt = t("validation.date");
				const mins = Number(minutes);
				if (!Number.isInteger(mins) || mins < 1) p.minutes = t("validation.numberInteger");
				const n = Number(count);
				if (repeat !== "none" && (!Number.isInteger(n) || n < 2 || n > 366)) p.count = t("booking.countHint");
				setProblems(p);
				if (Object.keys(p).length) return;
				const start = zonedWallTimeToUtc(startsAt, club?.timezone ?? "UTC");
				const body = {
					clientId: client.id,
					productId: productId.trim(),
					startsAt: start.toISOString(),
					endsAt: new Date(start.getTime() + mins * 60_000).toISOString(),
					channel: "staff" as const,
					...(repeat === "none" ? {} : { recurrence: { frequency: repeat, count: n } }),
				};
				reserve.mutate({ body, key: key.current }, { onSuccess: close, onError: () => (key.current = idempotencyKey()) });
			}}
		>
			<TextInput label={t("booking.productId")} value={productId} onChange={setProductId} isRequired autoFocus error={problems.productId} maxLength={100} />
			<TextInput label={t("booking.startsAt")} type="datetime-local" value={startsAt} onChange={setStartsAt} isRequired error={problems.startsAt} description={t("booking.timeZone", { tz: club?.timezone ?? "UTC" })} />
			<TextInput label={t("booking.minutes")} value={minutes} onChange={setMinutes} inputMode="numeric" error={problems.minutes} />
			<SelectInput label={t("booking.repeat")} value={repeat} onChange={e => setRepeat(e.target.value as typeof repeat)}>
				<option value="none">{t("booking.once")}</option>
				<option value="weekly">{t("booking.weekly")}</option>
				<option value="daily">{t("booking.daily")}</option>
			</SelectInput>
			{repeat !== "none" && <TextInput label={t("booking.count")} value={count} onChange={setCount} inputMode="numeric" error={problems.count} description={t("booking.countHint")} />}
			{reasons.length > 0 ? (
				<ErrorAlert>
					{t("errors.BOOKING_REJECTED")} {reasons.map(r => t(`reason.${r.code}`, { defaultValue: r.message })).join(" ")}
				</ErrorAlert>
			) : (
				<ErrorAlert error={reserve.error ?? undefined} />
			)}
			<DialogActions close={close} submit={t("booking.submit")} isDisabled={reserve.isPending} />
		</form>
	);
}
