/* tincay: small progressive enhancements only. Every page works without this file. */
'use strict';

document.addEventListener('DOMContentLoaded', function () {
    /* Ask before consequential one-button actions (disable an account...). */
    document.querySelectorAll('form[data-confirm]').forEach(function (form) {
        form.addEventListener('submit', function (event) {
            if (!window.confirm(form.getAttribute('data-confirm'))) {
                event.preventDefault();
            }
        });
    });

    /* A form is sent once: a second click while the first is under way does nothing. */
    document.querySelectorAll('form').forEach(function (form) {
        form.addEventListener('submit', function (event) {
            if (event.defaultPrevented) {
                return;
            }
            if (form.dataset.sent === '1') {
                event.preventDefault();
                return;
            }
            form.dataset.sent = '1';
        });
    });

    /* Move the focus to the first message of an error, for screen readers and keyboards. */
    var alert = document.querySelector('.msg-error');
    if (alert) {
        alert.setAttribute('tabindex', '-1');
        alert.focus();
    }
});
