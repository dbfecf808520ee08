/**
 * The console's widgets: React Aria Components, styled (components.css). Native <select>,
 * checkbox and file inputs where the platform's own control is the accessible one.
 */
import { forwardRef, useId, type ComponentProps, type ReactNode, type Ref } from "react";
import { useController, type Control, type FieldValues, type Path } from "react-hook-form";
import {
	Button as AriaButton,
	type ButtonProps,
	Dialog,
	DialogTrigger,
	FieldError,
	Heading,
	Input,
	Label,
	Modal,
	ModalOverlay,
	Text,
	TextArea,
	TextField,
} from "react-aria-components";
import { useTranslation } from "react-i18next";
import { useErrorText } from "../lib/errors";

/** A visual "required" star; the field itself says aria-required, so the star is hidden from the accessible name. */
function RequiredMark() {
	return (
		<span className="required-mark" aria-hidden="true">
			{" *"}
		</span>
	);
}

type Variant = "primary" | "secondary" | "danger" | "quiet";

export function Button({ variant = "secondary", className, ...props }: ButtonProps & { variant?: Variant }) {
	return <AriaButton {...props} className={`btn btn-${variant}${className ? ` ${className}` : ""}`} />;
}

interface FieldProps {
	label: string;
	error?: string;
	description?: string;
	isRequired?: boolean;
	isDisabled?: boolean;
	isReadOnly?: boolean;
}

type InputAttrs = Pick<ComponentProps<"input">, "type" | "autoComplete" | "placeholder" | "inputMode" | "autoFocus" | "min" | "max" | "step" | "className" | "maxLength">;

/** A text input tied to its label, its description and its error (aria-invalid, aria-describedby). */
export function TextInput({
	label,
	error,
	description,
	isRequired,
	isDisabled,
	isReadOnly,
	value,
	onChange,
	onBlur,
	name,
	inputRef,
	className,
	...input
}: FieldProps & InputAttrs & { value: string; onChange: (v: string) => void; onBlur?: () => void; name?: string; inputRef?: Ref<HTMLInputElement> }) {
	return (
		<TextField
			className={`field${className ? ` ${className}` : ""}`}
			isInvalid={!!error}
			isRequired={isRequired}
			isDisabled={isDisabled}
			isReadOnly={isReadOnly}
			name={name}
			value={value}
			onChange={onChange}
			onBlur={onBlur}
			validationBehavior="aria"
			type={input.type as any}
			autoComplete={input.autoComplete}
			inputMode={input.inputMode as any}
		>
			<Label>
				{label}
				{isRequired && <RequiredMark />}
			</Label>
			<Input ref={inputRef} placeholder={input.placeholder} min={input.min} max={input.max} step={input.step} maxLength={input.maxLength} autoFocus={input.autoFocus} />
			{description && <Text slot="description">{description}</Text>}
			<FieldError>{error}</FieldError>
		</TextField>
	);
}

export function TextAreaInput({
	label,
	error,
	description,
	isRequired,
	isDisabled,
	isReadOnly,
	value,
	onChange,
	onBlur,
	name,
	inputRef,
}: FieldProps & { value: string; onChange: (v: string) => void; onBlur?: () => void; name?: string; inputRef?: Ref<HTMLTextAreaElement> }) {
	return (
		<TextField className="field" isInvalid={!!error} isRequired={isRequired} isDisabled={isDisabled} isReadOnly={isReadOnly} name={name} value={value} onChange={onChange} onBlur={onBlur} validationBehavior="aria">
			<Label>
				{label}
				{isRequired && <RequiredMark />}
			</Label>
			<TextArea ref={inputRef} rows={3} />
			{description && <Text slot="description">{description}</Text>}
			<FieldError>{error}</FieldError>
		</TextField>
	);
}

/** A TextInput bound to a react-hook-form field. */
export function FormText<T extends FieldValues>({ control, name, multiline, rules, ...rest }: FieldProps & InputAttrs & { control: Control<T>; name: Path<T>; multiline?: boolean; rules?: { required?: boolean } }) {
	const { field } = useController({ control, name, rules });
	const common = { ...rest, name: field.name, value: (field.value ?? "") as string, onChange: field.onChange, onBlur: field.onBlur };
	return multiline ? <TextAreaInput {...common} inputRef={field.ref} /> : <TextInput {...common} inputRef={field.ref} />;
}

/** The platform's <select> (role combobox), tied to its label, description and error. */
export const SelectInput = forwardRef<HTMLSelectElement, FieldProps & Omit<ComponentProps<"select">, "ref"> & { children: ReactNode }>(function SelectInput(
	{ label, error, description, isRequired, isDisabled, children, className, ...select },
	ref,
) {
	const id = useId();
	const describedBy = [description && `${id}-d`, error && `${id}-e`].filter(Boolean).join(" ") || undefined;
	return (
		<div className={`field${className ? ` ${className}` : ""}`}>
			<label htmlFor={id}>
				{label}
				{isRequired && <RequiredMark />}
			</label>
			<select ref={ref} id={id} aria-invalid={error ? true : undefined} aria-describedby={describedBy} aria-required={isRequired || undefined} disabled={isDisabled} {...select}>
				{children}
			</select>
			{description && (
				<span id={`${id}-d`} className="field-description">
					{description}
				</span>
			)}
			{error && (
				<span id={`${id}-e`} className="field-error">
					{error}
				</span>
			)}
		</div>
	);
});

export const Checkbox = forwardRef<HTMLInputElement, { label: string } & Omit<ComponentProps<"input">, "ref" | "type">>(function Checkbox({ label, className, ...input }, ref) {
	return (
		<label className={`checkbox${className ? ` ${className}` : ""}`}>
			<input ref={ref} type="checkbox" {...input} />
			<span>{label}</span>
		</label>
	);
});

/** A dialog's buttons: Cancel, then the one that submits its form. */
export function DialogActions({ close, submit, variant = "primary", isDisabled, children }: { close: () => void; submit: string; variant?: Variant; isDisabled?: boolean; children?: ReactNode }) {
	const { t } = useTranslation();
	return (
		<div className="dialog-actions">
			<Button onPress={close}>{t("common.cancel")}</Button>
			{children}
			<Button type="submit" variant={variant} isDisabled={isDisabled}>
				{submit}
			</Button>
		</div>
	);
}

/** An error in words, announced (role alert). */
export function ErrorAlert({ error, children }: { error?: unknown; children?: ReactNode }) {
	const text = useErrorText();
	if (!error && !children) return null;
	return (
		<div role="alert" className="alert alert-error">
			{children ?? text(error)}
		</div>
	);
}

export function Notice({ children }: { children: ReactNode }) {
	return (
		<div role="status" className="alert alert-info">
			{children}
		</div>
	);
}

export function Loading() {
	const { t } = useTranslation();
	return (
		<div className="loading" role="status">
			{t("common.loading")}
		</div>
	);
}

/** A modal dialog opened by a trigger button; `children` gets `close`. */
export function DialogButton({
	label,
	title,
	variant,
	children,
	isDisabled,
	ariaLabel,
	isOpen,
	onOpenChange,
}: {
	label: ReactNode;
	title: string;
	variant?: Variant;
	children: (close: () => void) => ReactNode;
	isDisabled?: boolean;
	ariaLabel?: string;
	isOpen?: boolean;
	onOpenChange?: (open: boolean) => void;
}) {
	return (
		<DialogTrigger isOpen={isOpen} onOpenChange={onOpenChange}>
			<Button variant={variant} isDisabled={isDisabled} aria-label={ariaLabel}>
				{label}
			</Button>
			<ModalDialog title={title}>{children}</ModalDialog>
		</DialogTrigger>
	);
}

/** The modal itself, for dialogs opened from a menu or by state. */
export function ModalDialog({ title, children, isOpen, onOpenChange }: { title: string; children: (close: () => void) => ReactNode; isOpen?: boolean; onOpenChange?: (open: boolean) => void }) {
	return (
		<ModalOverlay className="modal-overlay" isDismissable isOpen={isOpen} onOpenChange={onOpenChange}>
			<Modal className="modal">
				<Dialog className="dialog">
					{({ close }) => (
						<>
							<Heading slot="title" className="dialog-title">
								{title}
							</Heading>
							{children(close)}
						</>
					)}
				</Dialog>
			</Modal>
		</ModalOverlay>
	);
}

/** A padlock (an SVG: no emoji font needed). Named when `label` is given, else decorative. */
export function LockIcon({ label }: { label?: string }) {
	return (
		<svg className="lock-icon" width="14" height="14" viewBox="0 0 16 16" role={label ? "img" : undefined} aria-label={label} aria-hidden={label ? undefined : true} focusable="false">
			{label && <title>{label}</title>}
			<path fill="currentColor" d="M4.5 7V5a3.5 3.5 0 0 1 7 0v2H12a1 1 0 0 1 1 1v6a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V8a1 1 0 0 1 1-1h.5Zm1.5 0h4V5a2 2 0 1 0-4 0v2Z" />
		</svg>
	);
}

export function Badge({ children, tone = "neutral" }: { children: ReactNode; tone?: "neutral" | "info" | "success" | "warning" }) {
	return <span className={`badge badge-${tone}`}>{children}</span>;
}

export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
	return (
		<div className="page-header">
			<h1>{title}</h1>
			{children && <div className="page-actions">{children}</div>}
		</div>
	);
}
