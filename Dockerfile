# One image for every node; which services a container runs is its SERVICES variable.
FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
USER node
EXPOSE 3000
# `npm start`'s command without npm in between: signals reach node, and no second process.
CMD ["node", "--require", "tsx/cjs", "index.ts"]
