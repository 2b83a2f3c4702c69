export { fixtureKernel as kernelFixture, readFixture } from "../../../test/support/tools.js";
