/**
 * The import's typed errors (HTTP status and stable type; shared ones are in lib/errors.ts).
 * A file that cannot be imported is not an error of the request: the job fails with its
 * message (ImportFileError, import.reader.ts).
 */
import { Errors } from "moleculer";

/** 413: the upload is over IMPORT_MAX_BYTES (announced by Content-Length, or found reading it). */
export class PayloadTooLargeError extends Errors.MoleculerClientError {
	constructor(limit: number) {
		super(`The file is larger than the limit of ${limit} bytes`, 413, "PAYLOAD_TOO_LARGE", { limit });
		this.name = "PayloadTooLargeError";
	}
}

/** 415: neither a CSV content type nor multipart/form-data. */
export class UnsupportedMediaTypeError extends Errors.MoleculerClientError {
	constructor() {
		super("Send the file as text/csv or as multipart/form-data with a 'file' field", 415, "UNSUPPORTED_MEDIA_TYPE");
		this.name = "UnsupportedMediaTypeError";
	}
}

/** 400: the body could not be read to its end (import.body.ts); `jobError` is what the failed job says. */
export class UploadStreamError extends Errors.MoleculerClientError {
	constructor(
		readonly jobError: string,
		cause?: unknown,
	) {
		super(jobError, 400, "UPLOAD_INCOMPLETE", cause instanceof Error ? { reason: cause.message.slice(0, 200) } : undefined);
		this.name = "BadRequestError";
	}
}
