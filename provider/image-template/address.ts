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
