/** Where a template lives: the three parts of its ARM id, and the id built from them or read back into them. */

const TEMPLATE_ID =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.VirtualMachineImages\/imageTemplates\/([^/]+)$/i;

export interface TemplateAddress {
  subscriptionId: string;
  resourceGroupName: string;
  imageTemplateName: string;
}

export function templateId(a: TemplateAddress): string {
  return `/subscriptions/${a.subscriptionId}/resourceGroups/${a.resourceGroupName}/providers/Microsoft.VirtualMachineImages/imageTemplates/${a.imageTemplateName}`;
}

export function parseTemplateId(id: string): TemplateAddress | undefined {
  const m = TEMPLATE_ID.exec(id);
  return m ? { subscriptionId: m[1], resourceGroupName: m[2], imageTemplateName: m[3] } : undefined;
}

/** The address of a stored or checked bag: its id when it parses, else its three arguments. */
export function addressOf(bag: Record<string, unknown>, id?: string): TemplateAddress {
  const parsed = id ? parseTemplateId(id) : undefined;
  if (parsed) return parsed;
  const [subscriptionId, resourceGroupName, imageTemplateName] = [
    bag.subscriptionId,
    bag.resourceGroupName,
    bag.imageTemplateName,
  ];
  if (
    typeof subscriptionId !== "string" ||
    typeof resourceGroupName !== "string" ||
    typeof imageTemplateName !== "string" ||
    !subscriptionId ||
    !resourceGroupName ||
    !imageTemplateName
  ) {
    throw new Error(
      `"${id}" is not an image template resource id (/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.VirtualMachineImages/imageTemplates/{name})`,
    );
  }
  return { subscriptionId, resourceGroupName, imageTemplateName };
}

export function label(a: TemplateAddress): string {
  return `image template "${a.imageTemplateName}" (resource group "${a.resourceGroupName}", subscription ${a.subscriptionId})`;
}

/** How an ownership refusal names the template. */
export const named = (a: TemplateAddress) => ({ label: label(a), id: templateId(a) });
