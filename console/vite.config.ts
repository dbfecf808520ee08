import { defineConfig } from "vite";

// React without the React plugin: esbuild compiles TSX with the automatic runtime, which is all
// a production build needs (the plugin adds Fast Refresh for `vite dev`).
export default defineConfig({
	base: "/",
	esbuild: { jsx: "automatic" },
	build: {
		outDir: "dist",
		assetsDir: "assets",
		target: "es2022",
		sourcemap: false,
		reportCompressedSize: false,
		chunkSizeWarningLimit: 400,
	},
	server: { proxy: { "/api": "http://localhost:3000" } },
});
