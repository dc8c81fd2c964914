// Runs once in the browser: a passage chip's "Open in the review" link (or an [n] marker) opens the
// passage in the review viewer; chatbot HTML is sanitized (no data-* attributes), so the span travels
// in the link's href.
window.__nsOpenPassage = (data) => trigger('click', data);
// The question as it stood when Enter was pressed in the input box, for layout.SEND_QUESTION: the send
// step reads the box a moment later, when the next keys may already be in it.
document.addEventListener('keydown', (event) => {
  const box = event.target;
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing && box?.matches?.('#question textarea')) {
    window.__nsSent = box.value;
  }
}, true);
// Plain text of one answer for the clipboard: the answer, then "[n] review label: “quote”" lines.
// textContent, not innerText: a folded chip's quote is not rendered, and innerText would skip it.
const plain = (node) => (node?.textContent ?? '').replace(/\s+/g, ' ').trim();
window.__nsPlainAnswer = (answer) => {
  const body = answer.querySelector('.answer-text') || answer.querySelector('.refusal-label + p');
  const lines = [(body ? body.innerText : answer.innerText).replace(/\s+/g, ' ').trim()];
  for (const chip of answer.querySelectorAll(':scope > .passages > .passage')) {
    const num = plain(chip.querySelector('.passage-num')), label = plain(chip.querySelector('.passage-title'));
    lines.push(`${num} ${label}: “${plain(chip.querySelector('mark'))}”`);
  }
  return lines.join('\n');
};
window.__nsPlainChat = () => {
  const turns = [];
  for (const node of document.querySelectorAll('#chat [data-testid="user"], #chat [data-testid="bot"]')) {
    const answer = node.querySelector('.answer:not(.streaming)');
    if (node.matches('[data-testid="user"]')) turns.push(`You: ${node.innerText.trim()}`);
    else if (answer) turns.push(`Assistant: ${window.__nsPlainAnswer(answer)}`);
  }
  return turns.join('\n\n');
};
// The box that scrolls `node` (its nearest scrolling ancestor), or null when only the page does.
const scrollBox = (node) => {
  const scrolls = (el) =>
    el.scrollHeight > el.clientHeight + 1 && /auto|scroll/.test(getComputedStyle(el).overflowY);
  let box = node?.parentElement;
  while (box && box !== document.body && !scrolls(box)) box = box.parentElement;
  return box && box !== document.body ? box : null;
};
// Centre the marked span inside the viewer's own scroll box.
const centre = () => {
  const mark = element.querySelector('mark');
  const box = scrollBox(mark);
  if (box) box.scrollTop += mark.getBoundingClientRect().top - box.getBoundingClientRect().top
    - box.clientHeight / 2 + mark.getBoundingClientRect().height / 2;
  return mark;
};
// On a phone the viewer sits below everything, so opening a passage there took the chat away. There it
// opens as a sheet over the chat instead (chat.css, .ns-sheet), and Close puts the page and the chat
// back where they were scrolled.
const narrow = window.matchMedia('(max-width: 640px)');
const viewer = document.getElementById('review-viewer');
if (viewer && !viewer.querySelector(':scope > .viewer-close')) {
  const close = document.createElement('button');
  close.type = 'button';
  close.className = 'viewer-close';
  close.textContent = 'Close';
  viewer.prepend(close);
}
let returnTo = null;
window.__nsSheet = {
  isOpen: () => !!viewer?.classList.contains('ns-sheet'),
  open(from) {
    if (!viewer || !narrow.matches || this.isOpen()) return false;
    const box = scrollBox(from);
    returnTo = {from, x: window.scrollX, y: window.scrollY, box, top: box ? box.scrollTop : 0};
    viewer.classList.add('ns-sheet');
    document.documentElement.classList.add('ns-sheet-open');
    if (element.querySelector('mark')) centre();  // the same passage again: no new value comes
    viewer.querySelector(':scope > .viewer-close')?.focus({preventScroll: true});
    return true;
  },
  close() {
    if (!this.isOpen()) return;
    viewer.classList.remove('ns-sheet');
    document.documentElement.classList.remove('ns-sheet-open');
    if (!returnTo) return;
    window.scrollTo(returnTo.x, returnTo.y);
    if (returnTo.box) returnTo.box.scrollTop = returnTo.top;
    returnTo.from?.focus?.({preventScroll: true});
    returnTo = null;
  },
};
if (!window.__nsListening) {
  window.__nsListening = true;
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') window.__nsSheet.close();
  });
  document.addEventListener('click', (event) => {
    if (event.target.closest('.viewer-close')) {
      window.__nsSheet.close();
      return;
    }
    const copy = event.target.closest('a.copy-answer');
    if (copy) {
      event.preventDefault();
      navigator.clipboard.writeText(window.__nsPlainAnswer(copy.closest('.answer')));
      copy.textContent = 'Copied';
      setTimeout(() => { copy.textContent = 'Copy'; }, 1500);
      return;
    }
    const marker = event.target.closest('a.cite-marker');
    const chip = marker ? document.getElementById(marker.getAttribute('href').slice(1))
                        : event.target.closest('.passage');
    if (!chip) return;
    const link = chip.querySelector('a.open-passage');
    if (!link || event.target.closest('summary')) return;
    event.preventDefault();
    // Before anything scrolls: the sheet returns the chat to where it was at this click.
    if (!window.__nsSheet.open(marker || link)) chip.scrollIntoView({block: 'nearest'});
    chip.classList.add('flash');
    setTimeout(() => chip.classList.remove('flash'), 1500);
    const span = link.getAttribute('href').split('=')[1].split(':');
    const end = span.pop(), start = span.pop();
    window.__nsOpenPassage({review_id: decodeURIComponent(span.join(':')), start, end});
  });
}
watch('value', () => {
  const mark = centre();
  // Beside the chat (desktop), bring the viewer on screen if needed; a sheet is on screen already.
  if (mark && !window.__nsSheet.isOpen()) mark.scrollIntoView({block: 'nearest'});
});
