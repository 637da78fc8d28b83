type Child = Node | string | null | undefined | false
type Props = Record<string, string | number | boolean | EventListener | undefined>

/** An element with its attributes (`on<event>` are listeners) and children; text is never parsed as HTML. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag)
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === false) continue
    if (typeof value === 'function') element.addEventListener(name.slice(2).toLowerCase(), value)
    else element.setAttribute(name, value === true ? '' : String(value))
  }
  for (const child of children) if (child) element.append(child)
  return element
}

const app = () => document.getElementById('app') as HTMLElement

/** Shows a screen: its heading takes the focus, so keyboard and screen-reader users land on it. */
export function showScreen(name: string, title: string, ...content: Child[]) {
  clearNotice()
  const heading = h('h1', { tabindex: '-1' }, title)
  app().replaceChildren(h('section', { class: 'screen', 'data-screen': name }, heading, ...content))
  app().dataset.screen = name
  heading.focus()
}

/** A way on from a notice: a label and what it does. */
export interface Action {
  label: string
  run: () => void
}

/** A message the user must see (an error, a lapse), with the ways on it offers. */
export function notify(message: string, actions: Action[] = [], kind: 'error' | 'info' = 'error') {
  const notice = document.getElementById('notice') as HTMLElement
  const buttons = actions.map((action) =>
    h(
      'button',
      {
        type: 'button',
        onclick: () => {
          clearNotice()
          action.run()
        },
      },
      action.label,
    ),
  )
  notice.replaceChildren(h('div', { class: `notice ${kind}` }, h('p', {}, message), ...buttons))
  buttons[0]?.focus()
}

export function clearNotice() {
  document.getElementById('notice')?.replaceChildren()
}

export const won = (amount: number) => `${amount.toLocaleString('en-US')} won`

/** A form field with its label. */
export function field(label: string, input: HTMLInputElement) {
  return h('label', { class: 'field' }, h('span', {}, label), input)
}
