import type { Messages } from "./en";

const fr: Messages = {} as Messages;

export default fr;
