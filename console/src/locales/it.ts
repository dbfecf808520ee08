import type { Messages } from "./en";

const it: Messages = {} as Messages;

export default it;
