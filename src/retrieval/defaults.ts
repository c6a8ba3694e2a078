/**
 * The retrieval settings and their filling from DEFAULTS, for the modules of this folder's callers
 * that import them from here; both are defined in src/config/defaults.ts (the one owner of defaults).
 */
export { retrievalSettings, type RetrievalSettings } from '../config/defaults.js';
