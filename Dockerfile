# One image for every node; which services a container runs is its SERVICES variable.
# Stage 1 builds the staff console (console/dist) with the dev dependencies; the image keeps
# only the built files.
FROM node:24-bookworm-slim AS console
WORKDIR /app
COPY package.json package-lock.json ./
COPY console/package.json console/
RUN npm ci --no-audit --no-fund
COPY . .
RUN node --require tsx/cjs scripts/console-build.ts --force

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
COPY console/package.json console/
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
COPY --from=console /app/console/dist console/dist
USER node
EXPOSE 3000
# `npm start`'s command without npm in between: signals reach node, and no second process.
CMD ["node", "--require", "tsx/cjs", "index.ts"]
