// Values codec for the Terraform plugin protocol: cty types, the JS value model, and the
// msgpack / JSON encodings of DynamicValue and RawState. See value-model.ts for the mapping
// between cty values and JavaScript values.
export { CtyNumber, CtyNumberSyntaxError, isCtyNumber } from './cty-number';
export type { CtyType, CollectionType, DynamicType, ObjectType, PrimitiveKind, PrimitiveType, TupleType } from './cty-type';
export {
  CtyTypeError,
  isCollectionType,
  isPrimitiveType,
  ty,
  typeEquals,
  typeFromJSON,
  typeFromParsedJSON,
  typeToJSON,
  typeToJSONBytes,
  typeToString,
} from './cty-type';
export type { NumberBound, Refinements } from './unknown';
export { Unknown, decodeRefinements, isUnknown, unknown } from './unknown';
export type { CtyPath, PathStep } from './path';
export { CtyValueError, formatPath } from './path';
export type { CtyMap, CtyObject, CtyValue, EncodableValue } from './value-model';
export { TypedValue, equalValues, inferType, isWhollyKnown } from './value-model';
export { ctyExtensionCodec, decodeDynamic, encodeDynamic, numberToWire } from './msgpack';
export { decodeJsonValue, encodeJsonValue, encodeJsonValueBytes } from './cty-json';
export type { JsonObject, JsonValue } from './json-text';
export { JsonNumber, JsonSyntaxError, parseJsonLossless } from './json-text';
