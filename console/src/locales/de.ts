import type { Messages } from "./en";

const de: Messages = {} as Messages;

export default de;
