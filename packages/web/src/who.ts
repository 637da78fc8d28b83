import { ApiError, dataOf, signInForDevelopment } from '@stagepass/client'
import { field, h, notify, showScreen } from './dom.js'
import { explain } from './errors.js'
import { go } from './navigation.js'
import { client, GATEWAY_URL, saveSession } from './session.js'

/**
 * Who am I. With user tokens off the id is taken as given; with them on, the gateway's development
 * sign-in mints a token (development key only), or the user pastes the identity provider's token.
 */
export function whoScreen() {
  const userId = h('input', {
    name: 'userId',
    inputmode: 'numeric',
    pattern: '[1-9][0-9]*',
    required: true,
    autocomplete: 'username',
  })
  const token = h('input', { name: 'userToken', autocomplete: 'off' })
  const tokenField = field('Your sign-in token (from your identity provider)', token)
  tokenField.hidden = true
  const form = h(
    'form',
    { class: 'card' },
    field('Your user id', userId),
    tokenField,
    h('button', { type: 'submit' }, 'Continue'),
  )
  form.addEventListener('submit', (event) => {
    event.preventDefault()
    const id = Number(userId.value)
    if (!Number.isSafeInteger(id) || id < 1) {
      notify('Your user id is a whole number from 1 up.')
      userId.focus()
      return
    }
    void signIn(id, token.value.trim(), tokenField)
  })
  showScreen(
    'who',
    'Who are you?',
    h('p', {}, 'Tickets go on sale through a waiting line. Tell us who you are to join it.'),
    form,
  )
  userId.focus()
}

async function signIn(userId: number, pasted: string, tokenField: HTMLElement) {
  try {
    if (pasted) return enter(userId, pasted)
    const signedIn = await signInForDevelopment(userId, { baseUrl: GATEWAY_URL }).catch((err) => {
      if (err instanceof ApiError && err.status === 404) return undefined
      throw err
    })
    if (signedIn) return enter(userId, signedIn.userToken)
    // No development sign-in: user tokens are off, or a real identity provider signs users in.
    saveSession({ userId, userToken: undefined })
    await dataOf(client.GET('/points/current/{userId}', { params: { path: { userId } } }))
    enter(userId, undefined)
  } catch (err) {
    if (err instanceof ApiError && err.code === 'USER_TOKEN_MISSING') {
      tokenField.hidden = false
      notify('This site needs you to sign in: paste the token your identity provider gave you.')
      tokenField.querySelector('input')?.focus()
      return
    }
    explain(err, () => void signIn(userId, pasted, tokenField))
  }
}

function enter(userId: number, userToken: string | undefined) {
  saveSession({ userId, userToken, queueToken: undefined })
  go.line()
}
