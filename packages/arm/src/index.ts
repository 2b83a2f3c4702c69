export { AAPCS_DATA_MODEL, AAPCS64_DATA_MODEL } from "./aapcs.js";
