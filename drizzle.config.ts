import { defineConfig } from 'drizzle-kit';
import { processEnvironment } from './config/config.js';

export default defineConfig({
  dialect: 'postgresql',
  schema: './db/schema.ts',
  out: './drizzle',
  casing: 'snake_case',
  dbCredentials: { url: processEnvironment().DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/duo_sync' },
});
