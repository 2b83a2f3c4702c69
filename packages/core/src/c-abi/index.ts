/**
 * @handoff/core/c-abi: the C layout engine (data models, struct/union/array
 * layout, reading and writing laid-out values, C declarations) and register
 * hypercall conventions built on it.
 * @packageDocumentation
 */
export {
  C,
  CTypeError,
  FieldValueError,
  validateDataModel,
  cDataModel,
  type CDataModelSpec,
  type CDataModel,
  type CBasicType,
  type CIntName,
  type CType,
  type CField,
  type Layout,
  type FieldLayout,
  type SizeAlign,
} from "./c-types.js";
export { CTypeEnvironment } from "./c-environment.js";
export { readCValue, writeCValue, encodeCValue, type CValue } from "./c-values.js";
export { emitCDeclarations, layoutProbes } from "./c-declarations.js";
export { RegisterHypercallAbi, clobberedBy } from "./hypercall.js";
