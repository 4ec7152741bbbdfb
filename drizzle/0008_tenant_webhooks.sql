ALTER TABLE "duo_integrations" ADD COLUMN "webhook_url" text;--> statement-breakpoint
ALTER TABLE "duo_integrations" ADD COLUMN "webhook_secret_sealed" text;