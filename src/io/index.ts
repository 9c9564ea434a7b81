// Browser-safe io: format readers and writers, and the activation bundle. node.ts (folders on
// disk) is imported from "src/io/node.ts" directly.
export * from "./ndarray.ts";
export { BFLOAT16_DESCR } from "./dtype.ts";
export { MEMORY_BUDGET_BYTES, memoryBudget, setMemoryBudget } from "./limits.ts";
export { crc32 } from "./crc32.ts";
export * from "./location.ts";
export * from "./stored.ts";
export * from "./labels.ts";
export * from "./npy.ts";
export * from "./zip.ts";
export * from "./npz.ts";
export * from "./safetensors.ts";
export * from "./csv.ts";
export * from "./manifest.ts";
export * from "./sources.ts";
export * from "./bundle.ts";
export * from "./bundle-write.ts";
export * from "./idx.ts";
