import type { Messages } from "./en";

const es: Messages = {} as Messages;

export default es;
