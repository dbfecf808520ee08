/** A "More actions" button opening a menu (React Aria: arrow keys, Enter, Escape). */
import type { ReactNode } from "react";
import { Menu, MenuItem, MenuTrigger, Popover } from "react-aria-components";
import { Button } from "./ui";

export interface MenuAction {
	id: string;
	label: string;
	isDisabled?: boolean;
	danger?: boolean;
}

export function ActionsMenu({ label, actions, onAction, children }: { label: string; actions: MenuAction[]; onAction: (id: string) => void; children?: ReactNode }) {
	return (
		<MenuTrigger>
			<Button variant="quiet" aria-label={label}>
				{children ?? "⋯"}
			</Button>
			<Popover className="menu-popover" placement="bottom end">
				<Menu className="menu" onAction={key => onAction(String(key))} disabledKeys={actions.filter(a => a.isDisabled).map(a => a.id)}>
					{actions.map(a => (
						<MenuItem key={a.id} id={a.id} className={`menu-item${a.danger ? " danger" : ""}`}>
							{a.label}
						</MenuItem>
					))}
				</Menu>
			</Popover>
		</MenuTrigger>
	);
}
