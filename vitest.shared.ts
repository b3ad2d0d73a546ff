// One vitest configuration for every library: tests beside the code (src/) or in test/, and timeouts
// sized for CI's 2 shared cores (a numerical test that is quick alone can take several times longer
// while another project compiles the native addon).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
