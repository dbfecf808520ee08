/**
 * Entity types as the generated OpenAPI types describe them (no hand-written copies). The
 * document marks few properties required; what the API always sends is taken as present.
 */
import type {
	ClientsGetResponses,
	GroupsListResponses,
	GroupsListCategoriesResponses,
	WalletsOfClientResponses,
	BookingGuardHistoryResponses,
	ImportGetResponses,
	ClubsGetResponses,
	ClubsListKeysResponses,
} from "../api/generated/types.gen";

type Item<T> = T extends { items?: Array<infer I> } ? I : never;

export type Client = Required<ClientsGetResponses[200]>;
export type Group = Required<Item<GroupsListResponses[200]>>;
export type Category = Required<Item<GroupsListCategoriesResponses[200]>>;
export type Wallet = Required<Item<WalletsOfClientResponses[200]>>;
export type Transaction = Required<NonNullable<Wallet["recentTransactions"]>[number]>;
export type Booking = Required<Item<BookingGuardHistoryResponses[200]>>;
export type ImportJob = Required<ImportGetResponses[200]>;
export type Club = Required<ClubsGetResponses[200]>;
export type ApiKey = Required<Item<ClubsListKeysResponses[200]>>;
export type Role = "viewer" | "staff" | "admin";
export type PaymentMethod = NonNullable<Group["paymentMethods"]>[number];
export const PAYMENT_METHODS: PaymentMethod[] = ["card", "wallet", "sepa_debit", "paypal", "apple_pay", "google_pay", "ideal", "bancontact", "twint"];
export type Gender = "female" | "male" | "other";
