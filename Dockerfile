# syntax=docker/dockerfile:1
# duo-usage-sync: one image for the worker, the API and the migration job (the command picks which).
#   build:    npm ci (all dependencies) + npm run build -> dist/ (JS, drizzle/ migrations, workflow bundle,
#             the web console built by Vite into dist/console, served by the API at /)
#   runtime:  production dependencies only, dist/, non-root user `node`
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build

FROM ${NODE_IMAGE} AS production-dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=production-dependencies /app/node_modules ./node_modules
COPY --from=build /app/package.json ./package.json
# dist/ holds the compiled code, dist/drizzle (migrations, read by dist/db/migrate.js) and
# dist/workflow-bundle.js (the pre-built workflow bundle the worker loads) and dist/console (the web console).
COPY --from=build /app/dist ./dist
USER node
# API (API_PORT) and worker metrics (METRICS_PORT), as docker-compose.yml sets them.
EXPOSE 8080 9464
# node directly (not npm) so SIGTERM reaches the process and the worker drains.
CMD ["node", "--max-old-space-size=160", "dist/worker/main.js"]
