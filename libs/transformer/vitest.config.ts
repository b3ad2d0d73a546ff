// The shared configuration (../../vitest.shared.ts).
export { default } from "../../vitest.shared.ts";
