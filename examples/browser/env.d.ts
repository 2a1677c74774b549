// Bundler asset imports: `import url from './file?url'` gives the emitted file's URL (vite).
declare module '*?url' {
  const url: string;
  export default url;
}
