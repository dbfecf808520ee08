/**
 * Products and payment methods as the booking system names them, shared by groups (who may book
 * what, how they may pay) and booking-guard (what a booking asks for).
 */

/** The booking system's product ids: 1..100 letters, digits and _ . : - */
export const PRODUCT_ID_RE = /^[A-Za-z0-9_.:-]{1,100}$/;
/** fastest-validator rule for a product id. */
export const PRODUCT_ID_RULE = { type: "string", min: 1, max: 100, pattern: PRODUCT_ID_RE } as const;

/** Every payment method a group may allow, in the order the API lists them. */
export const PAYMENT_METHODS = ["card", "wallet", "sepa_debit", "paypal", "apple_pay", "google_pay", "ideal", "bancontact", "twint"] as const;
export type PaymentMethod = (typeof PAYMENT_METHODS)[number];
